"""Built-in jurisdiction plugins, installed under the import name ``bancheng_plugins``.

The folder is called ``plugins/`` in the repository; pyproject maps it to a
distinctive import name so that no generic top-level ``plugins`` package is ever
put into site-packages, where it could clash with another project's.
"""
