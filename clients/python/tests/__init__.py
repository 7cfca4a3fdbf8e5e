"""Tests of the FaaSpot Python client. Each module puts ``clients/python`` first on sys.path, so
the package under test is always the source tree, never an installed copy."""
