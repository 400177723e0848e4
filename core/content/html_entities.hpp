#pragma once
// HTML character references (&amp; &eacute; &#233; &#xE9;) as browsers read them.
#include <string>
#include <string_view>

namespace paios {

// `s` with its references decoded. Named ones need their ';'; numeric ones in 128-159 are Windows-1252; a
// no-break space becomes a space and a soft hyphen nothing, since the result is plain text. What is not a
// reference is kept as it is.
std::string decode_entities(std::string_view s);

}  // namespace paios
