"""Impact assessment of green bonds (seed 003 section 5 and 8.3).

Pure rules live in small modules (``catalogue``, ``units``, ``periods``, ``status``, ``allocation``,
``portfolio``, ``greenium``); ``files`` reads and validates the CSV inputs, ``pipeline`` runs them
end to end, ``report`` renders the HTML page and ``sample`` writes a synthetic portfolio.
"""
