"""Bouwsteen 4, the Jeugdbeschermingstafel: aanmelding, planning, outcome, verslag.

Its steps and terms are data (`scheduling/routes.yaml`, process `jbt`); a tafel
case is a row like a referral's (JT-…), so deadlines, reminders, threads and
history work as they do for the routes.
"""
