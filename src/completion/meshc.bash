# bash completion for meshc.  Installed by `make install` as
# $(BASHCOMPDIR)/meshc.  The candidates come from meshc itself
# (`meshc __complete WORD...`): commands, each command's options, the
# values of --target, --format and --color, and the node names of the
# document on the line.  Where it offers nothing, file names are offered.
_meshc()
{
	local cur=${COMP_WORDS[COMP_CWORD]} IFS=$'\n'
	local -a cands

	cands=($(command meshc __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
	if [ ${#cands[@]} -gt 0 ]; then
		COMPREPLY=($(compgen -W "${cands[*]}" -- "$cur"))
	else
		COMPREPLY=()
	fi
}
complete -o default -F _meshc meshc
