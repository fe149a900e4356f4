"""The lake: storage backends (local, HDFS), layout, records, compaction and retention.

    from fmslab.lake.storage import open_lake          # Lake: mkdir, put, ls, cat, du, exists,
    lake = open_lake()                                 # delete, rename, open (for pyarrow)
    from fmslab.lake.records import write_records, read_zone
    write_records(lake, "processed", frame)            # part-<uuid>.snappy.parquet per partition
    read_zone(lake, "processed", {"device_id": 1})     # partition columns restored
    from fmslab.lake.layout import partition_path, parse_partition
    from fmslab.lake.compaction import compact_zone    # merge closed hours' small files
    from fmslab.lake.retention import apply_retention  # drop partitions past the zone's retention

Zones, partitioning and retention are data: data/lake_zones.yaml. The submodules are imported
on use (this file imports nothing), so the `fmslab` command starts fast.
"""
