"""Cities: each a package of its own (registry, data, import tools, branding); generic code never imports one."""
