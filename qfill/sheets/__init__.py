"""Spreadsheets in and out: reading .xlsx/.xlsm/.csv questionnaires and writing filled copies.

Everything that touches a customer's file lives here, one concept per module; see
``docs/architecture.md``.
"""
