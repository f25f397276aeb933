// Writes schemas/event.capnp's layout as a JavaScript module for the web app's Cap'n Proto
// encoder (api/web/public/js/capnp.js): every struct reachable from EventBody with its data
// words, pointer count, union discriminant and fields (kind, offset, discriminant value), and
// every enum's names in order. Run by the build (CMakeLists.txt), so the browser's encoder and
// the C++ one read the same schema: never edited by hand.
//
// Usage: uurwerk_schema_js OUT.js
#include <capnp/schema.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "schemas/event.capnp.h"

namespace {

struct writer {
    std::map<std::string, std::string> structs;  // name -> JS object text
    std::map<std::string, std::string> enums;

    std::string name_of(capnp::Schema s) {
        auto proto = s.getProto();
        std::string display = proto.getDisplayName().cStr();
        return display.substr(proto.getDisplayNamePrefixLength());
    }

    void add_enum(capnp::EnumSchema e) {
        const auto name = name_of(e);
        if (enums.count(name)) return;
        std::ostringstream o;
        o << "[";
        bool first = true;
        for (auto en : e.getEnumerants()) {
            o << (first ? "" : ", ") << "\"" << en.getProto().getName().cStr() << "\"";
            first = false;
        }
        o << "]";
        enums[name] = o.str();
    }

    // The field's type as the encoder names it, walking into structs and enums it names.
    std::string type_of(capnp::Type t, std::string& extra) {
        switch (t.which()) {
            case capnp::schema::Type::BOOL:
                return "bool";
            case capnp::schema::Type::INT8:
                return "int8";
            case capnp::schema::Type::INT16:
                return "int16";
            case capnp::schema::Type::INT32:
                return "int32";
            case capnp::schema::Type::INT64:
                return "int64";
            case capnp::schema::Type::UINT8:
                return "uint8";
            case capnp::schema::Type::UINT16:
                return "uint16";
            case capnp::schema::Type::UINT32:
                return "uint32";
            case capnp::schema::Type::UINT64:
                return "uint64";
            case capnp::schema::Type::TEXT:
                return "text";
            case capnp::schema::Type::DATA:
                return "data";
            case capnp::schema::Type::ENUM: {
                add_enum(t.asEnum());
                extra = ", enum: \"" + name_of(t.asEnum()) + "\"";
                return "enum";
            }
            case capnp::schema::Type::STRUCT: {
                add_struct(t.asStruct());
                extra = ", struct: \"" + name_of(t.asStruct()) + "\"";
                return "struct";
            }
            case capnp::schema::Type::LIST: {
                auto element = t.asList().getElementType();
                if (element.which() != capnp::schema::Type::ENUM) break;
                add_enum(element.asEnum());
                extra = ", enum: \"" + name_of(element.asEnum()) + "\"";
                return "enum_list";
            }
            default:
                break;
        }
        std::cerr << "uurwerk_schema_js: a field type the web encoder does not know ("
                  << static_cast<int>(t.which()) << "): teach api/web/public/js/capnp.js first\n";
        std::exit(1);
    }

    void add_struct(capnp::StructSchema s) {
        const auto name = name_of(s);
        if (structs.count(name)) return;
        structs[name] = "";  // no cycles through the recursion below
        auto node = s.getProto().getStruct();
        std::ostringstream o;
        o << "{dataWords: " << node.getDataWordCount() << ", pointers: " << node.getPointerCount()
          << ", discriminantOffset: "
          << (node.getDiscriminantCount() > 0 ? std::to_string(node.getDiscriminantOffset())
                                              : "null")
          << ", fields: {\n";
        for (auto f : s.getFields()) {
            auto proto = f.getProto();
            if (proto.which() != capnp::schema::Field::SLOT) {
                std::cerr << "uurwerk_schema_js: groups are not supported (" << name << ")\n";
                std::exit(1);
            }
            if (proto.getSlot().getHadExplicitDefault()) {
                std::cerr << "uurwerk_schema_js: explicit defaults are not supported (" << name
                          << "." << proto.getName().cStr() << ")\n";
                std::exit(1);
            }
            std::string extra;
            const auto type = type_of(f.getType(), extra);
            o << "      " << proto.getName().cStr() << ": {type: \"" << type
              << "\", offset: " << proto.getSlot().getOffset() << extra;
            if (proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT)
                o << ", discriminant: " << proto.getDiscriminantValue();
            o << "},\n";
        }
        o << "    }}";
        structs[name] = o.str();
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: uurwerk_schema_js OUT.js\n";
        return 2;
    }
    writer w;
    w.add_struct(capnp::Schema::from<uurwerk::schema::EventBody>());
    w.add_struct(capnp::Schema::from<uurwerk::schema::Submission>());
    std::ostringstream out;
    out << "// Generated from schemas/event.capnp by api/web/schema_js_tool.cpp at build time: "
           "the\n"
           "// layout the web app's canonical encoder (js/capnp.js) writes. Do not edit.\n"
           "export const structs = {\n";
    for (const auto& [name, text] : w.structs) out << "  " << name << ": " << text << ",\n";
    out << "};\nexport const enums = {\n";
    for (const auto& [name, text] : w.enums) out << "  " << name << ": " << text << ",\n";
    out << "};\n";
    const auto tmp = std::string(argv[1]) + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << out.str();
        if (!f) {
            std::cerr << "uurwerk_schema_js: cannot write " << tmp << "\n";
            return 1;
        }
    }
    if (std::rename(tmp.c_str(), argv[1]) != 0) {
        std::cerr << "uurwerk_schema_js: cannot rename " << tmp << "\n";
        return 1;
    }
    return 0;
}
