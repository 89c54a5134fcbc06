"""The domain of the Tiền Giang provincial e-mail platform (Decision 51/2016/QĐ-UBND).

One module per concept; docs/architecture.md names the module that owns each step.
"""
