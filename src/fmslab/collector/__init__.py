"""Polling collector: FMS API -> Kafka, with retries, spool and landing archive."""
