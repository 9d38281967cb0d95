# witness: hazard False
# note: a negative must run without raising
raise RuntimeError("boom")
