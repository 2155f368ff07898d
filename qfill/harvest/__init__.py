"""`qfill harvest`: a library grows from the questionnaires a team has already answered.

:mod:`~qfill.harvest.rows` reads answered rows as ``qfill answer`` reads rows;
:mod:`~qfill.harvest.hygiene` sets aside what is not a reusable answer;
:mod:`~qfill.harvest.drafts` makes draft entries and collapses repeats;
:mod:`~qfill.harvest.settling` settles drafts against the library (alias, conflict, new);
:mod:`~qfill.harvest.harvesting` runs the whole and computes the file edits.
"""
