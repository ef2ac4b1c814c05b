"""The owner's naming as files: export it, edit it in a spreadsheet, import it back, and
bring in a hand-kept devices.json.

Everything here is pure (text in, checked rows out); ``store/naming.py`` applies the rows.
"""
