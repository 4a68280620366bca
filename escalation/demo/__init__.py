"""Demo data (not product code): five partnerships, their people, children and a year of
history. It may import every app; no product app imports it."""
