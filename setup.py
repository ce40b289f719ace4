"""Only what setup.cfg cannot declare: the optional C speed-up of the build (rulepress/_fastbody.c).

It is optional twice over: a machine without a C compiler still installs rulepress (setuptools only warns),
and rulepress works without it (the same result, from the pure-Python path, about 40 microseconds slower per
file).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("rulepress._fastbody", ["rulepress/_fastbody.c"], optional=True)])
