"""Spark session, Kafka source, parsing, transformations and sinks."""
