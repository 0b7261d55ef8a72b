"""Thin PTB callbacks: one package per feature (its REGISTRATION), shared ones at the top.

bot/app.py wires them; nothing else imports handlers/<feature>/__init__.py.
"""
