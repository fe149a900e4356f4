"""Instructors' tools: run notebooks in batch with papermill (`fmslab notebooks run`) and grade
submitted labs by their check cells (`fmslab grade`)."""
