"""Settings for the read-speed benchmark (bench/reads.sh): the project's, plus a bare constant
view to compare with and a header counting the SQL queries each request ran."""
