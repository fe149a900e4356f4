"""Jobs that tie the parts together: the main run, scheduler, orchestration."""
