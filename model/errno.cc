#include "model/errno.h"

#include <array>
#include <utility>

#include "absl/strings/str_join.h"

namespace fusesim::model {
namespace {

constexpr std::array<std::pair<Err, std::string_view>, 23> kNames = {{
    {Err::kEPERM, "EPERM"},
    {Err::kENOENT, "ENOENT"},
    {Err::kEINTR, "EINTR"},
    {Err::kEIO, "EIO"},
    {Err::kEBADF, "EBADF"},
    {Err::kENOMEM, "ENOMEM"},
    {Err::kEACCES, "EACCES"},
    {Err::kEBUSY, "EBUSY"},
    {Err::kEEXIST, "EEXIST"},
    {Err::kEXDEV, "EXDEV"},
    {Err::kENOTDIR, "ENOTDIR"},
    {Err::kEISDIR, "EISDIR"},
    {Err::kEINVAL, "EINVAL"},
    {Err::kENOSPC, "ENOSPC"},
    {Err::kEROFS, "EROFS"},
    {Err::kENAMETOOLONG, "ENAMETOOLONG"},
    {Err::kENOSYS, "ENOSYS"},
    {Err::kENOTEMPTY, "ENOTEMPTY"},
    {Err::kELOOP, "ELOOP"},
    {Err::kENODATA, "ENODATA"},
    {Err::kEOPNOTSUPP, "EOPNOTSUPP"},
    {Err::kESTALE, "ESTALE"},
    {Err::kOk, "ok"},
}};

}  // namespace

std::string_view ErrName(Err e) {
  for (const auto& [err, name] : kNames)
    if (err == e) return name;
  return "E?";
}

std::optional<Err> ParseErr(std::string_view name) {
  for (const auto& [err, n] : kNames)
    if (n == name && err != Err::kOk) return err;
  return std::nullopt;
}

std::string AllErrNames() {
  std::vector<std::string> names;
  for (const auto& [err, n] : kNames)
    if (err != Err::kOk) names.emplace_back(n);
  return absl::StrJoin(names, ", ");
}

}  // namespace fusesim::model
