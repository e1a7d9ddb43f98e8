// Errno values as the modelled kernel and server return them.
//
// Enumerators carry Linux's numbers; names are the <errno.h> names
// ("ENOENT"), which is how scenarios, reports and expectations spell them.
#ifndef FUSESIM_MODEL_ERRNO_H_
#define FUSESIM_MODEL_ERRNO_H_

#include <optional>
#include <string>
#include <string_view>

namespace fusesim::model {

enum class Err : int16_t {
  kOk = 0,
  kEPERM = 1,
  kENOENT = 2,
  kEINTR = 4,
  kEIO = 5,
  kEBADF = 9,
  kENOMEM = 12,
  kEACCES = 13,
  kEBUSY = 16,
  kEEXIST = 17,
  kEXDEV = 18,
  kENOTDIR = 20,
  kEISDIR = 21,
  kEINVAL = 22,
  kENOSPC = 28,
  kEROFS = 30,
  kENAMETOOLONG = 36,
  kENOSYS = 38,
  kENOTEMPTY = 39,
  kELOOP = 40,
  kENODATA = 61,
  kEOPNOTSUPP = 95,
  kESTALE = 116,
};

// "ENOENT"; "ok" for kOk.
std::string_view ErrName(Err e);
// Parses "ENOENT" (not "ok"); nullopt if unknown.
std::optional<Err> ParseErr(std::string_view name);
// Every errno name, comma separated, for error messages.
std::string AllErrNames();

}  // namespace fusesim::model

#endif  // FUSESIM_MODEL_ERRNO_H_
