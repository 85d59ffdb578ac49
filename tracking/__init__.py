"""Narrative tracking over time: batch scoring, prevalence, spikes, emerging narratives."""
