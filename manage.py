#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cchc_portal.settings")
    # runserver serves requests (the web statement timeout); every other command is a command (settings.py).
    os.environ.setdefault("CCHC_PROCESS", "web" if sys.argv[1:2] == ["runserver"] else "command")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as problem:
        # A setting the environment lacks, said in a line rather than a traceback (the usual one on a development
        # machine: no SECRET_KEY, which a server has in its environment file and DEBUG=1 stands in for here).
        hint = " Trên máy phát triển, đặt DEBUG=1 ở đầu lệnh." if "SECRET_KEY" in str(problem) else ""
        sys.stderr.write(f"Cấu hình chưa đủ: {problem}.{hint}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
