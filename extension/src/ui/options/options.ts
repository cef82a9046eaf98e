// Options page: site rules, default choice, vault lock time (filled in by the rules work).
