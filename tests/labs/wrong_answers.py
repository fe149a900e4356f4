"""Wrong answers for every lab exercise, each with the hint its check must fail with.

One entry per mistake a check's hint names: tests/notebooks/test_lab_notebooks.py runs each lab in
one kernel and, at every exercise, runs the untouched exercise, each wrong answer here, the
solution's answer and the check once more. `WRONG[lab][n]` lists exercise n's wrong answers
(exercises numbered from 1 in notebook order). An answer is the code of each solution region of
the exercise cell, in order (None keeps the solution's code for that region); it is indented to
the region's place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wrong:
    """A wrong answer and a fragment of the hint its check must fail with."""

    hint: str
    regions: tuple[str | None, ...]


def wrong(hint: str, *regions: str | None) -> Wrong:
    return Wrong(hint, regions)


# Lab 11, exercise 2: the rule file and its test as one answer (the exercise's one region).
MOTOR1_MAX = 'max by (device) (fms_device_sensor_value{sensor="motor1"})'
MOTOR_STOPPED = '''MOTOR_STOPPED_RULE = """
groups:
  - name: lab11
    rules:
      - alert: MotorStopped
        expr: EXPR
        for: WAIT
        labels:
          severity: SEVERITY
        annotations:
          summary: "Device {{ $labels.device }}: main motor stopped"
"""
MOTOR_STOPPED_TEST = """
rule_files: [rules.yml]
evaluation_interval: 10s
tests:
  - interval: 10s
    input_series:
      - series: 'fms_device_sensor_value{device="1",sensor="motor1"}'
        values: "1200 0x10"
      - series: 'fms_device_sensor_value{device="2",sensor="motor1"}'
        values: "1200x10"
    alert_rule_test:
CASES"""'''
FIRING = """\
      - eval_time: {at}
        alertname: MotorStopped
        exp_alerts:
          - exp_labels: {{severity: error, device: "1"}}
            exp_annotations: {{summary: "Device 1: main motor stopped"}}
"""
QUIET = "      - {{eval_time: {at}, alertname: MotorStopped, exp_alerts: []}}\n"
STOPPED_CASES = QUIET.format(at="60s") + FIRING.format(at="70s")  # the solution's
FIRES_TOO_EARLY = QUIET.format(at="0s") + FIRING.format(at="60s")
FIRES_ONLY = FIRING.format(at="70s")
NOT_AT_20S_FIRES_AT_70S = QUIET.format(at="20s") + FIRING.format(at="70s")


def motor_stopped(
    expr: str = MOTOR1_MAX + " == 0",
    wait: str = "1m",
    severity: str = "error",
    cases: str = STOPPED_CASES,
) -> str:
    return (
        MOTOR_STOPPED.replace("EXPR", expr)
        .replace("WAIT", wait)
        .replace("SEVERITY", severity)
        .replace("CASES", cases)
    )


# Lab 11, exercise 3: the routing change, with one line or value made wrong.
MAINTENANCE_EMAIL = (
    '{"name": "maintenance-email", "email_configs": [{"to": "maintenance@fmslab.local"}]}'
)


def maintenance_route(
    insert: str,
    matchers: str = "['team=\"maintenance\"', 'severity=\"warning\"']",
    receiver: str = MAINTENANCE_EMAIL,
) -> str:
    return (
        "config = yaml.safe_load(config_text)\n"
        f'config["receivers"].append({receiver})\n'
        f'route = {{"receiver": "maintenance-email", "matchers": {matchers}}}\n'
        f"{insert}\n"
        "return yaml.safe_dump(config, sort_keys=False)"
    )


WRONG: dict[str, dict[int, list[Wrong]]] = {
    "01_prelab_introduction": {
        1: [
            wrong("response.json()", 'reading = httpx.get(f"{url}/3/", timeout=10.0)'),
            wrong("goes in the path", 'reading = httpx.get(f"{url}/1/", timeout=10.0).json()'),
        ],
        2: [
            wrong(
                "type(value).__name__",
                "field_types = {f: str(type(v)) for f, v in reading.items()}\n"
                "field_count = len(field_types)",
            ),
            wrong("time, DeviceId, 3 sensors", "field_types = {}\nfield_count = 0"),
        ],
        3: [
            wrong(
                "-1.0 == -1",
                "return sorted(f for f in MEASURES if type(reading.get(f)) is int "
                "and reading[f] == -1)",
            ),
            wrong(
                "only sensors and motors", "return sorted(f for f, v in reading.items() if v == -1)"
            ),
        ],
        4: [
            wrong(
                "rounds x devices",
                "frame = pd.DataFrame(\n"
                '    [httpx.get(f"{url}/{d}/").json() for d in range(1, devices + 1)]\n'
                ")",
                None,
            ),
            wrong("motors too", None, "return int((frame[MEASURES[:3]] == -1).sum().sum())"),
            wrong("not the rows", None, "return int((frame[MEASURES] == -1).any(axis=1).sum())"),
        ],
        5: [
            wrong(
                "answer 404",
                'response = httpx.get(f"{url}/{devices}/", timeout=10.0)\n'
                "status = response.status_code\n"
                'error = response.json().get("error")',
            ),
            wrong(
                "'error' field",
                'response = httpx.get(f"{url}/{devices + 1}/", timeout=10.0)\n'
                "status = response.status_code\n"
                "error = response.text",
            ),
        ],
    },
    "02_requirements_architecture": {
        1: [
            wrong(
                "sort their 'id's",
                'performance_ids = sorted((n["id"] for n in nfrs if n["group"] == "performance"), '
                "reverse=True)\n"
                'groups = pd.Series([n["group"] for n in nfrs]).value_counts().to_dict()',
            ),
        ],
        2: [
            wrong("60 seconds", 'return float(text.strip("<>= ").split()[0])'),
        ],
        3: [
            wrong("'<' is strict", 'return "pass"'),
            wrong(
                "'<=' includes",
                'return "pass" if (measured < value if op.startswith("<") else measured > value) '
                'else "fail"',
            ),
        ],
        4: [
            wrong(
                "a fixed 'pass' is no measurement",
                "latencies, answered = [], 0\n"
                "with httpx.Client(timeout=10.0) as client:\n"
                "    for i in range(requests):\n"
                "        started = time.perf_counter()\n"
                '        response = client.get(f"{url}/{i % devices + 1}/")\n'
                "        latencies.append(time.perf_counter() - started)\n"
                "        answered += response.status_code == 200\n"
                "p95 = float(pd.Series(latencies).quantile(0.95))\n"
                'return {"latencies": latencies, "answered": answered, "p95": p95, '
                '"verdict": "pass"}',
            ),
            wrong(
                "milliseconds?",
                "latencies, answered = [], 0\n"
                "with httpx.Client(timeout=10.0) as client:\n"
                "    for i in range(requests):\n"
                "        started = time.perf_counter()\n"
                '        response = client.get(f"{url}/{i % devices + 1}/")\n'
                "        latencies.append((time.perf_counter() - started) * 1000)\n"
                "        answered += response.status_code == 200\n"
                "p95 = float(pd.Series(latencies).quantile(0.95))\n"
                'return {"latencies": latencies, "answered": answered, "p95": p95, '
                '"verdict": verdict(target["op"], p95, target["value"])}',
            ),
        ],
        5: [
            wrong("use the `days` argument", "return (100 - availability_percent) / 100 * 30 * 24"),
        ],
    },
    "03_data_quality": {
        1: [
            wrong(
                "use the `k` argument",
                "data = np.asarray(values, dtype=float)\n"
                "q1, q3 = np.percentile(data, [25, 75])\n"
                "return (data < q1 - 1.5 * (q3 - q1)) | (data > q3 + 1.5 * (q3 - q1))",
            ),
            wrong(
                "boolean numpy array",
                "data = np.asarray(values, dtype=float)\n"
                "q1, q3 = np.percentile(data, [25, 75])\n"
                "return [bool(x < q1 - k * (q3 - q1) or x > q3 + k * (q3 - q1)) for x in data]",
            ),
        ],
        2: [
            wrong(
                "ddof=1",
                "data = np.asarray(values, dtype=float)\n"
                "z = (data - data.mean()) / data.std()\n"
                "return int((np.abs(z) > limit).sum())",
            ),
        ],
        3: [
            wrong(
                "-1 in a sensor or motor is missing",
                "present = sum(1 for r in records for f in FIELDS if r.get(f) is not None)\n"
                "return present / (len(records) * len(FIELDS))",
            ),
            wrong(
                "absent fields and None",
                "present = sum(1 for r in records for f, v in r.items() "
                "if not (f in MEASURES and v == -1))\n"
                "return present / (len(records) * len(FIELDS))",
            ),
        ],
        4: [
            wrong("carry the last valid value", "return [None if v == -1 else v for v in values]"),
        ],
        5: [
            wrong(
                "belongs in 'quarantine'",
                'if record.get("time") is None or record.get("DeviceId") is None:\n'
                '    return "quarantine"\n'
                'return "alerts" if record.get("isFail") is True else "processed"',
            ),
        ],
    },
    "04_docker_cluster_design": {
        1: [
            wrong(
                "the core is",
                "def mib(value: str) -> int:\n"
                "    number, unit = float(value[:-1]), value[-1].lower()\n"
                '    return int(number * {"m": 1, "g": 1024}[unit])\n'
                "\n"
                'return sum(mib(s["deploy"]["resources"]["limits"]["memory"])\n'
                '           for s in compose["services"].values())',
            ),
            wrong(
                "1g is 1024 MiB",
                "total = 0\n"
                'for service in compose["services"].values():\n'
                '    profiles = service.get("profiles") or []\n'
                "    if not profiles or profile in profiles:\n"
                '        total += int(service["deploy"]["resources"]["limits"]["memory"][:-1])\n'
                "return total",
            ),
            wrong(
                "core + pipeline is",
                "def mib(value: str) -> int:\n"
                "    number, unit = float(value[:-1]), value[-1].lower()\n"
                '    return int(number * {"m": 1, "g": 1024}[unit])\n'
                "\n"
                "total = 0\n"
                'for service in compose["services"].values():\n'
                '    profiles = service.get("profiles") or []\n'
                "    if (profile in profiles) if profile else not profiles:\n"
                '        total += mib(service["deploy"]["resources"]["limits"]["memory"])\n'
                "return total",
            ),
            wrong(
                "an unknown profile adds nothing",
                "def mib(value: str) -> int:\n"
                "    number, unit = float(value[:-1]), value[-1].lower()\n"
                '    return int(number * {"m": 1, "g": 1024}[unit])\n'
                "\n"
                'known = {p for s in compose["services"].values()\n'
                '         for p in s.get("profiles") or []}\n'
                "total = 0\n"
                'for service in compose["services"].values():\n'
                '    profiles = service.get("profiles") or []\n'
                "    if not profiles or profile in profiles or profile not in known | {None}:\n"
                '        total += mib(service["deploy"]["resources"]["limits"]["memory"])\n'
                "return total",
            ),
        ],
        2: [
            wrong(
                "binds every port to 127.0.0.1",
                "return sorted(\n"
                '    f"{name}: {entry}"\n'
                '    for name, service in compose["services"].items()\n'
                '    for entry in service.get("ports") or []\n'
                '    if str(entry).startswith("127.0.0.1:")\n'
                ")",
            ),
            wrong(
                "no address (3000:3000) is published on every interface",
                "return sorted(\n"
                '    f"{name}: {entry}"\n'
                '    for name, service in compose["services"].items()\n'
                '    for entry in service.get("ports") or []\n'
                '    if str(entry).startswith("0.0.0.0:")\n'
                ")",
            ),
            wrong(
                "sorted 'service: entry' strings",
                "return [\n"
                '    f"{name}: {entry}"\n'
                '    for name, service in compose["services"].items()\n'
                '    for entry in service.get("ports") or []\n'
                '    if not str(entry).startswith("127.0.0.1:")\n'
                "]",
            ),
        ],
        3: [
            wrong(
                "only the localhost listener is published",
                "wrong = []\n"
                'for name, service in compose["services"].items():\n'
                '    env = service.get("environment") or {}\n'
                '    advertised = env.get("KAFKA_ADVERTISED_LISTENERS", "")\n'
                '    published = {str(p).split(":")[-2] for p in service.get("ports") or []}\n'
                '    for listener in advertised.split(","):\n'
                '        port = listener.strip().rpartition(":")[2]\n'
                "        if listener and port not in published:\n"
                "            wrong.append(name)\n"
                "return sorted(set(wrong))",
            ),
            wrong(
                "the host port (the middle number), not the container's",
                "wrong = []\n"
                'for name, service in compose["services"].items():\n'
                '    env = service.get("environment") or {}\n'
                '    advertised = env.get("KAFKA_ADVERTISED_LISTENERS", "")\n'
                '    published = {str(p).split(":")[-1] for p in service.get("ports") or []}\n'
                '    for listener in advertised.split(","):\n'
                '        host, _, port = listener.strip().split("://")[-1].rpartition(":")\n'
                '        if host == "localhost" and port not in published:\n'
                "            wrong.append(name)\n"
                "return sorted(set(wrong))",
            ),
        ],
        4: [
            wrong("two voters are no better than one", "return voters // 2"),
            wrong("3 voters tolerate 1 failures", "return (voters - 1) // 3"),
        ],
        5: [
            wrong("the stack survives one broker", "return brokers_down == 0"),
            wrong("the stack survives one broker", "return replication - brokers_down > min_isr"),
            wrong("one of two replicas down refuses writes", "return replication >= min_isr"),
            wrong(
                "with every replica down nothing is written",
                "return min_isr == 1 or replication - brokers_down >= min_isr",
            ),
        ],
    },
    "05_design_review": {
        1: [
            wrong(
                "named below the zone",
                "counts = {pf.directory: len(pf.files) for pf in list_partitions(lake, zone)}\n"
                'return pd.Series(counts, name="files", dtype=int).sort_index()',
            ),
            wrong(
                "sort it by the partition",
                'counts = {pf.directory.split("/", 1)[1]: len(pf.files)\n'
                "          for pf in list_partitions(lake, zone)}\n"
                'return pd.Series(counts, name="files", dtype=int).sort_index(ascending=False)',
            ),
            wrong(
                "count the files",
                'counts = {pf.directory.split("/", 1)[1]: pf.bytes\n'
                "          for pf in list_partitions(lake, zone)}\n"
                'return pd.Series(counts, name="files", dtype=int).sort_index()',
            ),
        ],
        2: [
            wrong(
                "modulo the partitions", 'return murmur2(str(device).encode("utf-8")) & 0x7FFFFFFF'
            ),
            wrong(
                "the same key always gives the same partition",
                'partition_of.calls = getattr(partition_of, "calls", -1) + 1  # round robin\n'
                "return partition_of.calls % partitions",
            ),
            wrong(
                "with one partition everything lands on partition 0",
                'return (murmur2(str(device).encode("utf-8")) & 0x7FFFFFFF) % 5',
            ),
            wrong(
                "murmur2(key) & 0x7FFFFFFF",
                'return murmur2(str(device).encode("utf-8")) % partitions',
            ),
        ],
        3: [
            wrong(
                "an even spread gives 1.0",
                "if not counts or sum(counts) == 0:\n"
                '    raise ValueError("no records to judge a skew by")\n'
                "return max(counts) / sum(counts)",
            ),
            wrong(
                "count empty partitions in the mean",
                "if not counts or sum(counts) == 0:\n"
                '    raise ValueError("no records to judge a skew by")\n'
                "filled = [c for c in counts if c]\n"
                "return max(filled) / (sum(filled) / len(filled))",
            ),
            wrong(
                "has no records: raise ValueError",
                "return max(counts) / (sum(counts) / len(counts))",
            ),
        ],
        4: [
            wrong(
                "largest first",
                "total = sum(medians.values())\n"
                "return {stage: round(100 * value / total, 1) for stage, value in medians.items()}",
            ),
            wrong(
                "100 * value / sum",
                "total = sum(medians.values())\n"
                "ordered = sorted(medians.items(), key=lambda kv: -kv[1])\n"
                "return {stage: round(value / total, 3) for stage, value in ordered}",
            ),
            wrong(
                "rounded to one decimal",
                "total = sum(medians.values())\n"
                "ordered = sorted(medians.items(), key=lambda kv: -kv[1])\n"
                "return {stage: 100 * value / total for stage, value in ordered}",
            ),
        ],
        5: [
            wrong(
                "these files exist in the checkout",
                "import os\n\nreturn sorted({path for path in paths if not os.path.isfile(path)})",
            ),
            wrong(
                "sorted, each once",
                "return sorted(path for path in paths if not (root / path).is_file())",
            ),
            wrong(
                "a folder is not a file",
                "return sorted({path for path in paths if not (root / path).exists()})",
            ),
        ],
    },
    "06_hadoop_spark_cluster": {
        1: [
            wrong(
                "leading zero",
                'date, clock = time_text.rstrip("Z").split("T")\n'
                'return f"{zone}/device_id={device_id}/date={date}/hour={int(clock[:2])}"',
            ),
        ],
        2: [
            wrong(
                "not a Counter",
                "words = Counter(w for line in lines.collect() for w in line.split())\n"
                "return lines.context.parallelize(list(words.items()))",
                None,
            ),
            wrong("then by word", None, "return counts.takeOrdered(n)"),
        ],
        3: [
            wrong("not sorted", "return sorted(rdd.glom().map(len).collect())"),
        ],
        4: [
            wrong("use the argument", "return events.map(lambda kv: ((kv[0], kv[1] % 4), kv[1]))"),
            wrong("value % salts", "return events.map(lambda kv: ((kv[0], kv[1]), kv[1]))"),
        ],
    },
    "07_realtime_streaming": {
        1: [
            wrong(
                "use the DeviceId as the key",
                "producer = make_producer(bootstrap)\n"
                "futures = [(r['DeviceId'], producer.send(topic, value=r)) for r in readings]\n"
                "producer.flush()\n"
                "reports = [(d, f.get(10).partition, f.get(10).offset) for d, f in futures]\n"
                "producer.close()\n"
                "return sorted(reports)",
            ),
        ],
        2: [
            wrong(
                "commit before closing",
                "import time\n"
                "consumer = make_consumer(bootstrap, topic, group_id=group)\n"
                "found = []\n"
                "deadline = time.monotonic() + timeout\n"
                "while len(found) < expected and time.monotonic() < deadline:\n"
                "    for records in consumer.poll(timeout_ms=200).values():\n"
                "        found.extend(json.loads(r.value) for r in records)\n"
                "consumer.close()\n"
                "return found",
            ),
            wrong(
                "decode each value with json",
                "import time\n"
                "consumer = make_consumer(bootstrap, topic, group_id=group)\n"
                "found = []\n"
                "deadline = time.monotonic() + timeout\n"
                "while len(found) < expected and time.monotonic() < deadline:\n"
                "    for records in consumer.poll(timeout_ms=200).values():\n"
                "        found.extend(r.value for r in records)\n"
                "consumer.commit()\n"
                "consumer.close()\n"
                "return found",
            ),
        ],
        3: [
            wrong(
                "not >= 90",
                'return reading.get("isFail") is True or (reading.get("sensor1") or 0) >= 90 '
                'or (reading.get("sensor3") or 0) > 130',
            ),
            wrong(
                "isFail True needs attention",
                'return (reading.get("sensor1") or 0) > 90 or (reading.get("sensor3") or 0) > 130',
            ),
        ],
        4: [
            wrong(
                "the `predicate` argument",
                "producer = make_producer(bootstrap)\n"
                "kept = 0\n"
                "for record in read_topic(bootstrap, source):\n"
                "    if needs_attention(json.loads(record.value)):\n"
                "        producer.send(target, key=record.key, value=record.value)\n"
                "        kept += 1\n"
                "producer.close()\n"
                "return kept",
            ),
            wrong(
                "key and value bytes",
                "producer = make_producer(bootstrap)\n"
                "kept = 0\n"
                "for record in read_topic(bootstrap, source):\n"
                "    if predicate(json.loads(record.value)):\n"
                "        producer.send(target, value=record.value)\n"
                "        kept += 1\n"
                "producer.close()\n"
                "return kept",
            ),
        ],
    },
    "08_spark_transformations": {
        1: [
            wrong(
                "count with CASE, not WHERE",
                'hot_sql = """\n'
                "    SELECT DeviceId, COUNT(*) AS hot FROM readings WHERE sensor1 > 90\n"
                "    GROUP BY DeviceId ORDER BY DeviceId\n"
                '"""',
            ),
        ],
        2: [
            wrong(
                "not a pandas one", "return df.toPandas().replace({c: {-1: None} for c in columns})"
            ),
            wrong(
                "null exactly where it was -1",
                "return df.select(*[F.when(F.col(c) != -1, None).otherwise(F.col(c)).alias(c) "
                "if c in columns else F.col(c) for c in df.columns])",
            ),
            wrong(
                "clean only the `columns`",
                "return df.select(*[F.when(F.col(c) == -1, None).otherwise(F.col(c)).alias(c) "
                "if c in SENSORS + MOTORS else F.col(c) for c in df.columns])",
            ),
        ],
        3: [
            wrong(
                "partitionBy('DeviceId')",
                'window = Window.orderBy("time").rowsBetween(-(rows - 1), Window.currentRow)\n'
                'return df.withColumn(f"{column}_ma", F.avg(column).over(window))',
            ),
            wrong(
                "use the argument",
                'window = Window.partitionBy("DeviceId").orderBy("time").rowsBetween(-3, 0)\n'
                'return df.withColumn(f"{column}_ma", F.avg(column).over(window))',
            ),
        ],
        4: [
            wrong(
                "not a row-at-a-time udf",
                "@F.udf(IntegerType())\n"
                "def near_count(a, b, c):\n"
                "    limits = [thresholds.warning_fraction * t\n"
                "              for t in thresholds.critical_above]\n"
                "    return sum(v is not None and v > t for v, t in zip((a, b, c), limits))",
            ),
            wrong(
                "vectorise it",
                "@pandas_udf(IntegerType())\n"
                "def near_count(s1: pd.Series, s2: pd.Series, s3: pd.Series) -> pd.Series:\n"
                "    limits = [thresholds.warning_fraction * t\n"
                "              for t in thresholds.critical_above]\n"
                "    return pd.Series([sum(v > t for v, t in zip(vals, limits) if v == v)\n"
                "                      for vals in zip(s1, s2, s3)])",
            ),
        ],
    },
    "09_integrated_pipeline": {
        1: [wrong("add numInputRows", "return len(query.recentProgress)")],
        2: [
            wrong(
                "one key per reading zone",
                'return {z: len(read_zone(lake, z)) for z in ("processed", "alerts")}',
            ),
        ],
        3: [
            wrong("notify_at=Severity.MEDIUM", "return ErrorHandler(notify)"),
            wrong(
                "notify_at=Severity.MEDIUM", "return ErrorHandler(notify, notify_at=Severity.LOW)"
            ),
        ],
        4: [
            wrong(
                "2 attempts",
                "steps = [\n"
                '    Step("collection", lambda: require_broker(stopped), attempts=3,\n'
                "         backoff=0.01),\n"
                '    Step("processing", lambda: "nothing"),\n'
                "]\n"
                "cycle = Scheduler(steps, ErrorHandler(lambda incident: None)).run_cycle()",
            ),
        ],
        5: [
            wrong(
                "the columns partition, offset",
                'reading = F.from_json(F.col("value").cast("string"), READING_SCHEMA)\n'
                'return kafka_df.select(reading["DeviceId"].alias("DeviceId"), '
                'reading["time"].alias("time"), reading["sensor1"].alias("sensor1"))',
            ),
            wrong(
                "DeviceId int, sensor1 double",
                'text = F.col("value").cast("string")\n'
                'return kafka_df.select("partition", "offset", '
                'F.get_json_object(text, "$.DeviceId").alias("DeviceId"), '
                'F.get_json_object(text, "$.time").alias("time"), '
                'F.get_json_object(text, "$.sensor1").alias("sensor1"))',
            ),
        ],
        6: [
            wrong(
                "DeviceId is not null",
                "raw = (spark.readStream.format(KAFKA_FORMAT)\n"
                '       .option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic)\n'
                '       .option("startingOffsets", "earliest").load())\n'
                "return (parse_readings(raw).writeStream.foreachBatch(on_batch)\n"
                '        .option("checkpointLocation", checkpoint)\n'
                "        .trigger(availableNow=True).start())",
            ),
            wrong(
                "startingOffsets 'earliest'",
                "raw = (spark.readStream.format(KAFKA_FORMAT)\n"
                '       .option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic)\n'
                '       .option("startingOffsets", "latest").load())\n'
                'readings = parse_readings(raw).where(F.col("DeviceId").isNotNull())\n'
                "return (readings.writeStream.foreachBatch(on_batch)\n"
                '        .option("checkpointLocation", checkpoint)\n'
                "        .trigger(availableNow=True).start())",
            ),
            wrong(
                "checkpointLocation', checkpoint): a restart",
                "raw = (spark.readStream.format(KAFKA_FORMAT)\n"
                '       .option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic)\n'
                '       .option("startingOffsets", "earliest").load())\n'
                'readings = parse_readings(raw).where(F.col("DeviceId").isNotNull())\n'
                "return (readings.writeStream.foreachBatch(on_batch)\n"
                "        .trigger(availableNow=True).start())",
            ),
            wrong(
                "foreachBatch(on_batch)",
                "raw = (spark.readStream.format(KAFKA_FORMAT)\n"
                '       .option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic)\n'
                '       .option("startingOffsets", "earliest").load())\n'
                'readings = parse_readings(raw).where(F.col("DeviceId").isNotNull())\n'
                "return (readings.writeStream.foreachBatch(lambda df, batch_id: df.count())\n"
                '        .option("checkpointLocation", checkpoint)\n'
                "        .trigger(availableNow=True).start())",
            ),
            wrong(
                "availableNow=True",
                "raw = (spark.readStream.format(KAFKA_FORMAT)\n"
                '       .option("kafka.bootstrap.servers", bootstrap).option("subscribe", topic)\n'
                '       .option("startingOffsets", "earliest").load())\n'
                'readings = parse_readings(raw).where(F.col("DeviceId").isNotNull())\n'
                "return (readings.writeStream.foreachBatch(on_batch)\n"
                '        .option("checkpointLocation", checkpoint).start())',
            ),
        ],
    },
    "11_visualization_alerts": {
        1: [
            wrong(
                "use only metrics of the catalog",
                'return f\'count(max by (device) (fms_sensor_value{{sensor="sensor1"}}) '
                "> {threshold:g})'",
            ),
            wrong(
                "twice: max by device",
                "return f'count(fms_device_sensor_value{{sensor=\"sensor1\"}} > {threshold:g})'",
            ),
            wrong(
                "device 2 is at it (not above)",
                'return f\'count(max by (device) (fms_device_sensor_value{{sensor="sensor1"}}) '
                ">= {threshold:g})'",
            ),
            wrong(
                "humidity is not temperature",
                "return f'count(max by (device) (fms_device_sensor_value) > {threshold:g})'",
            ),
            wrong(
                "at 10 s none is",
                'return f\'count(max by (device) (fms_device_sensor_value{{sensor="sensor1"}}) '
                "> {threshold:g}) or vector(0)'",
            ),
        ],
        2: [
            wrong("your own test fails", motor_stopped(cases=FIRES_TOO_EARLY)),
            wrong("test both: firing, and not firing", motor_stopped(cases=FIRES_ONLY)),
            wrong("exactly 0", motor_stopped(expr=MOTOR1_MAX + " < 10")),
            wrong(
                "motor1 only",
                motor_stopped(
                    expr='min by (device) (fms_device_sensor_value{sensor=~"motor.*"}) == 0'
                ),
            ),
            wrong("for 1m", motor_stopped(wait="30s", cases=NOT_AT_20S_FIRES_AT_70S)),
            wrong(
                "with severity error",
                motor_stopped(
                    severity="critical", cases=STOPPED_CASES.replace("error", "critical")
                ),
            ),
            wrong(
                "labels severity=error and device only",
                motor_stopped(
                    expr='fms_device_sensor_value{sensor="motor1"} == 0',
                    cases=STOPPED_CASES.replace('device: "1"', 'device: "1", sensor: motor1'),
                ),
            ),
        ],
        3: [
            wrong(
                "put the maintenance route first",
                maintenance_route('config["route"]["routes"].append(route)'),
            ),
            wrong(
                "match both team and severity",
                maintenance_route(
                    'config["route"]["routes"].insert(0, route)',
                    matchers="['team=\"maintenance\"']",
                ),
            ),
            wrong(
                "e-mail only",
                maintenance_route(
                    'config["route"]["routes"].insert(0, route)',
                    receiver='{"name": "maintenance-email", '
                    '"email_configs": [{"to": "maintenance@fmslab.local"}], '
                    '"slack_configs": config["receivers"][1]["slack_configs"]}',
                ),
            ),
        ],
    },
    "10_integration_testing": {
        1: [
            wrong(
                "no interpolation",
                "import statistics\n"
                "if not latencies:\n"
                '    return {"p50": None, "p95": None, "max": None}\n'
                'return {"p50": statistics.median(latencies),\n'
                '        "p95": statistics.quantiles(latencies, n=20)[-1], "max": max(latencies)}',
            ),
            wrong(
                "None for each",
                "ordered = sorted(latencies)\n"
                'return {"p50": percentile(ordered, 50), "p95": percentile(ordered, 95),\n'
                '        "max": ordered[-1] if ordered else 0.0}',
            ),
        ],
        2: [
            wrong(
                "use the distinct ids",
                "unique = len(set(stored_ids))\n"
                'return {"stored": len(stored_ids), "lost": offered - len(stored_ids),\n'
                '        "duplicates": len(stored_ids) - unique, "success_rate": unique / offered}',
            ),
            wrong(
                "a copy is no extra success",
                "unique = len(set(stored_ids))\n"
                'return {"stored": len(stored_ids), "lost": offered - unique,\n'
                '        "duplicates": len(stored_ids) - unique,\n'
                '        "success_rate": len(stored_ids) / offered}',
            ),
        ],
        3: [
            wrong(
                "meet the speed criterion too",
                'fits = table[table["stored_bytes_per_msg"] <= max_bytes]\n'
                'return None if fits.empty else str(fits["stored_bytes_per_msg"].idxmin())',
            ),
            wrong(
                "not the fastest",
                'fits = table[(table["stored_bytes_per_msg"] <= max_bytes)\n'
                '             & (table["produce_msg_s"] >= min_produce)]\n'
                'return None if fits.empty else str(fits["produce_msg_s"].idxmax())',
            ),
        ],
        4: [
            wrong(
                "stops at its first break",
                "best = None\n"
                "for step in steps:\n"
                '    if step["lost"] > 0 or step["p95_s"] > p95_limit:\n'
                "        continue\n"
                '    best = step["rate_msg_s"]\n'
                "return best",
            ),
            wrong(
                "a step with loss breaks the ramp",
                "best = None\n"
                "for step in steps:\n"
                '    if step["p95_s"] > p95_limit:\n'
                "        break\n"
                '    best = step["rate_msg_s"]\n'
                "return best",
            ),
        ],
        5: [
            wrong(
                "is a proxy",
                "if measurement is None:\n"
                "    return f\"not measured here (chapter {nfr['chapter']})\"\n"
                'return meets_target(nfr["target"], measurement.value)',
            ),
            wrong(
                "in another unit",
                'target = nfr["target"]\n'
                'if measurement is None or measurement.metric != target["metric"]:\n'
                "    return f\"not measured here (chapter {nfr['chapter']})\"\n"
                "return meets_target(target, measurement.value)",
            ),
        ],
    },
    "12_project_documentation": {
        1: [
            wrong(
                "the stack's services publish ports too",
                "return {service.port: service.name for service in arch.services}",
            ),
            wrong(
                "an embedded service's port wins",
                "owners = {port: s.name for s in arch.stack for port in s.ports}\n"
                "for service in arch.services:\n"
                "    owners.setdefault(service.port, service.name)\n"
                "return owners",
            ),
            wrong(
                "every one of them",
                "owners = {service.port: service.name for service in arch.services}\n"
                "for service in arch.stack:\n"
                "    if service.ports:\n"
                "        owners.setdefault(service.ports[0], service.name)\n"
                "return owners",
            ),
        ],
        2: [
            wrong(
                "return None when no entry quotes",
                "for entry in entries:\n"
                "    parts = re.split(r'<[A-Z]+>', entry.message)\n"
                "    if re.fullmatch('[^\\n]*'.join(map(re.escape, parts)), printed.strip()):\n"
                "        return entry.key\n"
                "return ''",
            ),
            wrong(
                "compare the whole message, every line",
                "for entry in entries:\n"
                "    parts = re.split(r'<[A-Z]+>', entry.message.splitlines()[0])\n"
                "    first = printed.strip().splitlines()[0]\n"
                "    if re.fullmatch('[^\\n]*'.join(map(re.escape, parts)), first):\n"
                "        return entry.key\n"
                "return None",
            ),
            wrong(
                "escape the rest of the message",
                "for entry in entries:\n"
                "    parts = re.split(r'<[A-Z]+>', entry.message)\n"
                "    if re.fullmatch('[^\\n]*'.join(parts), printed.strip()):\n"
                "        return entry.key\n"
                "return None",
            ),
            wrong(
                "a placeholder like <PORT> stands for any value",
                "return next((e.key for e in entries if e.message == printed.strip()), None)",
            ),
        ],
        3: [
            wrong(
                "a percentage (0-100)",
                "values = {name: part[figure] for name, part in report['components'].items()}\n"
                "top = max(values, key=values.get)\n"
                "return top, round(values[top] / sum(values.values()), 1)",
            ),
            wrong(
                "use the `figure` argument",
                "values = {name: part['cpu_s'] for name, part in report['components'].items()}\n"
                "top = max(values, key=values.get)\n"
                "return top, round(100 * values[top] / sum(values.values()), 1)",
            ),
            wrong(
                "the component with the largest value",
                "values = {name: part[figure] for name, part in report['components'].items()}\n"
                "top = list(values)[-1]\n"
                "return top, round(100 * values[top] / sum(values.values()), 1)",
            ),
            wrong(
                "round the percentage to one decimal",
                "values = {name: part[figure] for name, part in report['components'].items()}\n"
                "top = max(values, key=values.get)\n"
                "return top, 100 * values[top] / sum(values.values())",
            ),
        ],
        4: [
            wrong(
                "compare numbers",
                "lines = text.splitlines()\n"
                "start = lines.index('| service | what it is | port | setting |') + 2\n"
                "configured = {s.name: s.port for s in arch.services}\n"
                "stale = []\n"
                "for line in lines[start:]:\n"
                "    if not line.startswith('|'):\n"
                "        break\n"
                "    name, _, port, _ = (cell.strip() for cell in line.strip('|').split('|'))\n"
                "    if configured.get(name) != port:\n"
                "        stale.append(name)\n"
                "return sorted(stale)",
            ),
            wrong(
                "every stale service, sorted",
                "lines = text.splitlines()\n"
                "start = lines.index('| service | what it is | port | setting |') + 2\n"
                "configured = {s.name: s.port for s in arch.services}\n"
                "stale = []\n"
                "for line in lines[start:]:\n"
                "    if not line.startswith('|'):\n"
                "        break\n"
                "    name, _, port, _ = (cell.strip() for cell in line.strip('|').split('|'))\n"
                "    if configured.get(name) != int(port):\n"
                "        stale.append(name)\n"
                "return stale",
            ),
        ],
    },
    "13_presentation_feedback": {
        1: [
            wrong("add the scores, not the points", 'return float(table["points"].sum())'),
            wrong(
                "only numeric scores count",
                "return float(sum(s if isinstance(s, int | float) else p "
                'for s, p in zip(table["score"], table["points"], strict=True)))',
            ),
        ],
        2: [
            wrong(
                "the stream step counts the rows Spark read",
                "PROOF = {\n"
                '    "Spark read every record of the topic": "lake",\n'
                '    "a failing machine reaches a person": "alert",\n'
                '    "each reading is stored in exactly one zone": "lake",\n'
                '    "every service is up before we start": "health",\n'
                "}",
            ),
            wrong(
                "use the step keys",
                "PROOF = {\n"
                '    "Spark read every record of the topic": "Stream progress",\n'
                '    "a failing machine reaches a person": "alert",\n'
                '    "each reading is stored in exactly one zone": "lake",\n'
                '    "every service is up before we start": "health",\n'
                "}",
            ),
        ],
        3: [
            wrong(
                "say collection's collected from the record",
                'return ("The collector took 412 readings, the topic held 412 records and "\n'
                '        "the lake stored 409; the quality score was 74.8% and 4 e-mails "\n'
                '        "were sent.")',
            ),
            wrong(
                "the score as 74.8%",
                "return (\n"
                "    f\"{figure(record, 'collection', 'collected')} readings, \"\n"
                "    f\"{figure(record, 'topic', 'records')} records, \"\n"
                "    f\"{figure(record, 'lake', 'stored')} stored, score \"\n"
                "    f\"{figure(record, 'quality', 'score')}, \"\n"
                "    f\"{figure(record, 'alert', 'emails')} e-mails\"\n"
                ")",
            ),
        ],
        4: [
            wrong(
                "keep only claims the record contradicts",
                "return [c for c in claims if figure(record, c[0], c[1]) == c[2]]",
            ),
        ],
    },
}
