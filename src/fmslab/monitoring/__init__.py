"""Metrics, alert notifications, Prometheus/Alertmanager/Grafana helpers."""
