"""Lake storage backends, layout, retention and compaction."""
