"""The demo landing-data generator (`kto demo`) and ground truth for tests."""
