-- Open311 GeoReport v2: API keys, service request tokens. Reserved.
SELECT 1;
