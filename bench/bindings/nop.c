// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The program bench/bindings' storm execs: linked statically, it costs the
 * exec and nothing more. */
#include "base/banned.h"

int main(void)
{
	return 0;
}
