"""Screens over the main one: help, save preview, conflicts, save as, compare, quit."""
