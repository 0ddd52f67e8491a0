"""API clients (Polisen, SCB PX-Web, Kolada, official boundary downloads): the network, nothing
else. Imports only core/ and sources/."""
