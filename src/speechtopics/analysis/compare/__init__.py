"""Comparing speeches by their metadata, with intervals that take the speech as the sampling unit.

* :mod:`.effects` — per-speech values (theme rates, topic prevalence) by
  metadata group: group means with bootstrap intervals over speeches, and a
  regression of the values on the metadata (like stm's ``estimateEffect``).
* :mod:`.trends` — the same over the ``year`` column: a fitted curve with its
  band, and the terms whose use rose or fell most.
* :mod:`.groups` — two groups of speeches side by side: keyness, theme rates
  with intervals of the difference, and example lines of the terms that set
  them apart.
"""
