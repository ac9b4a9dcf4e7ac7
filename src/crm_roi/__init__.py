"""crm-roi: what did our sales and marketing effort return?

Read CRM and ledger exports (read → map → validate), compute the figures of the
metric contract (compute), and render them (render).
"""

__version__ = "0.1.0"
