"""Huikuan 回款: accounts-receivable collection for B2B sellers in China."""
