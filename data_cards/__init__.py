"""Data cards, generated from the data so that a card never disagrees with it."""
