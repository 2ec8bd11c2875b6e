"""The City of Baltimore: its registry (city.yaml and the measures), its data, and the import of its plan."""
