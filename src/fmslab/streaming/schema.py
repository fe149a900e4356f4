"""The explicit schema of a reading and the lenient parse of Kafka values into typed columns.

Devices send motors as floats (`1200.0`) and sometimes numbers as strings (`"1200"`), so every field
is first read as text (Spark's JSON reader keeps a number's text for a string field), then cast with
`try_cast`. Nothing is dropped: a value that is not a JSON object, or a field that does not convert,
gives the row a `parse_error` (the reason) and keeps the original text in `_corrupt`, for the
quarantine zone. Missing fields are not parse errors: the quality rules decide about nulls.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from fmslab.reading import MOTORS, SENSORS

CORRUPT = "_corrupt"
PARSE_ERROR = "parse_error"

# The reading as typed columns (docs/architecture.md, domain facts, plus what the collector adds).
READING_SCHEMA = StructType(
    [
        StructField("time", TimestampType()),
        StructField("DeviceId", IntegerType()),
        *(StructField(name, DoubleType()) for name in SENSORS),
        *(StructField(name, IntegerType()) for name in MOTORS),
        StructField("isFail", BooleanType()),
        StructField("collected_at", TimestampType()),
        StructField("reading_id", StringType()),
    ]
)
# What from_json reads: every field as text, plus Spark's corrupt-record column.
RAW_SCHEMA = StructType(
    [StructField(f.name, StringType()) for f in READING_SCHEMA.fields]
    + [StructField(CORRUPT, StringType())]
)
KAFKA_COLUMNS = ("topic", "partition", "offset", "timestamp")


def _convert(raw: Column, target: DataType) -> Column:
    if isinstance(target, IntegerType):
        # "1200.0" and 1200.0 are integers written as floats: go through double, then round.
        return F.round(raw.try_cast(DoubleType())).try_cast(IntegerType())
    return raw.try_cast(target)


def _field_error(name: str, raw: Column, converted: Column, target: DataType) -> Column:
    """`"<field> is not <type>: <text>"` where the text is present but does not convert."""
    kind = target.simpleString()
    message = F.concat(F.lit(f"{name} is not {kind}: "), F.substring(raw, 1, 40))
    return F.when(raw.isNotNull() & converted.isNull(), message)


def _structure_error(value: Column, parsed: Column, corrupt: Column) -> Column:
    return (
        F.when(value.isNull() | (F.trim(value) == ""), F.lit("empty value"))
        .when(corrupt.isNotNull(), F.lit("malformed JSON or not a JSON object"))
        # from_json gives null, not a corrupt record, for JSON that is not an object (`42`, `[]`).
        .when(parsed.isNull(), F.lit("not a JSON object"))
    )


def parse_readings(df: DataFrame) -> DataFrame:
    """Kafka rows (a binary or string `value`) -> one typed row per record, none dropped.

    Columns: the reading's fields (READING_SCHEMA), `parse_error` (null, or why the record is
    malformed), `_corrupt` (the value's text when it is malformed), and the Kafka metadata the
    input has among key (as text, `kafka_key`), topic, partition, offset, timestamp
    (`kafka_timestamp`).
    """
    text = F.col("value").cast(StringType())
    parsed = df.withColumn("_text", text).withColumn(
        "_raw",
        F.from_json(
            F.col("_text"),
            RAW_SCHEMA,
            {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT},
        ),
    )
    columns: list[Column] = []
    errors = [_structure_error(F.col("_text"), F.col("_raw"), F.col(f"_raw.{CORRUPT}"))]
    for field in READING_SCHEMA.fields:
        raw = F.col(f"_raw.`{field.name}`")
        converted = _convert(raw, field.dataType)
        columns.append(converted.alias(field.name))
        errors.append(_field_error(field.name, raw, converted, field.dataType))
    parse_error = F.concat_ws("; ", *errors)
    parse_error = F.when(parse_error != "", parse_error)
    metadata = []
    if "key" in df.columns:
        metadata.append(F.col("key").cast(StringType()).alias("kafka_key"))
    for name in KAFKA_COLUMNS:
        if name in df.columns:
            alias = "kafka_timestamp" if name == "timestamp" else name
            metadata.append(F.col(name).alias(alias))
    return parsed.select(
        *columns,
        parse_error.alias(PARSE_ERROR),
        F.when(parse_error.isNotNull(), F.col("_text")).alias(CORRUPT),
        *metadata,
    )
