"""Exercises as data (spec), their judge and checker on the real engine, playground, panel."""
