"""The native text kernel (moderation/features/_textscan.c); everything else is in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds, and the features
run on their Polars reference (slower, the same values; a warning says so at run time).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "moderation.features._textscan",
            sources=["moderation/features/_textscan.c"],
            extra_compile_args=["-O3", "-std=c11"],
            optional=True,
        ),
        Extension(
            "moderation.rules._literals",
            sources=["moderation/rules/_literals.c"],
            extra_compile_args=["-O3", "-std=c11"],
            optional=True,
        ),
    ]
)
