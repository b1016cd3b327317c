"""What every app of the portal shares and no app owns: numbers, text, workbooks in and out, problem lists,
uploads awaiting confirmation. Standard library and openpyxl only, no Django, no import of an app.
"""
