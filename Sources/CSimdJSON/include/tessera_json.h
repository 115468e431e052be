// C API of the simdjson shim; filled in with the JSON parsing module.
