"""The project's documents built from its own configuration and reports: the architecture
diagram (`architecture`), its drawing (`charts`) and the improvement plan (`improvements`)."""
