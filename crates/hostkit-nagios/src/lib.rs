//! Pure Nagios plugin building blocks: status, threshold ranges, perfdata, the plugin line.
