# Change of affiliation (SPEC §4) is built in its own issue; the app is registered from the start.
