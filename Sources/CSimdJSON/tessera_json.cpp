#include "tessera_json.h"
