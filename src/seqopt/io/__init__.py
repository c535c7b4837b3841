"""Reading and writing inputs: workbooks, CSV folders, templates and plan files."""
