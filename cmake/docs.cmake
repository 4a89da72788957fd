# The man page and the bash completion, made at build time from the built
# command's own help (`smtpfuzz help`, `smtpfuzz help CMD`), so that a change
# to any command's help reaches both at the next build; installed with the
# command (cmake/install.cmake).
#   build/share/man/man1/smtpfuzz.1
#   build/share/bash-completion/completions/smtpfuzz
include(GNUInstallDirs)

set(SF_MAN_PAGE ${PROJECT_BINARY_DIR}/share/man/man1/smtpfuzz.1)
set(SF_COMPLETION ${PROJECT_BINARY_DIR}/share/bash-completion/completions/smtpfuzz)

add_custom_command(
  OUTPUT ${SF_MAN_PAGE}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/share/man/man1
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/smtpfuzz-man.sh $<TARGET_FILE:smtpfuzz> ${SF_MAN_PAGE}
  DEPENDS smtpfuzz ${CMAKE_CURRENT_LIST_DIR}/smtpfuzz-man.sh
  COMMENT "Writing the smtpfuzz(1) man page from the help texts"
  VERBATIM)
add_custom_command(
  OUTPUT ${SF_COMPLETION}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/share/bash-completion/completions
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/smtpfuzz-completion.sh $<TARGET_FILE:smtpfuzz>
          ${SF_COMPLETION}
  DEPENDS smtpfuzz ${CMAKE_CURRENT_LIST_DIR}/smtpfuzz-completion.sh
  COMMENT "Writing the smtpfuzz bash completion from the help texts"
  VERBATIM)
add_custom_target(smtpfuzz_docs ALL DEPENDS ${SF_MAN_PAGE} ${SF_COMPLETION})

install(FILES ${SF_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${SF_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
