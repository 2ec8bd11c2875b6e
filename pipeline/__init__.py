"""The pipeline: query building, computing values, refreshing them on schedule, and the command line."""
