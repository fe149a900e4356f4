"""Embedded Kafka-protocol broker lifecycle and topic administration."""
