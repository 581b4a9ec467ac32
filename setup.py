"""The native kernels; everything else is in pyproject.toml.

moderation/features/_textscan.c reads the listing texts for the features, moderation/rules/_literals.c
finds the rules' phrase literals; both read Arrow columns through moderation/_arrow_views.h.
The extensions are optional: without a C compiler the install still succeeds, and features and
rules run on their Polars paths (slower, the same values; a warning says so at run time).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "moderation.features._textscan",
            sources=["moderation/features/_textscan.c"],
            depends=["moderation/_arrow_views.h"],
            extra_compile_args=["-O3", "-std=c11"],
            optional=True,
        ),
        Extension(
            "moderation.rules._literals",
            sources=["moderation/rules/_literals.c"],
            depends=["moderation/_arrow_views.h"],
            extra_compile_args=["-O3", "-std=c11"],
            optional=True,
        ),
    ]
)
