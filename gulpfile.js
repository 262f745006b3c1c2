// Copies the node and credential icons next to the compiled files in dist/.
const { src, dest, parallel, task } = require('gulp');

const copyIcons = (folder) =>
	function copy() {
		return src(`${folder}/**/*.{png,svg}`, { encoding: false }).pipe(dest(`dist/${folder}`));
	};

task('build:icons', parallel(copyIcons('nodes'), copyIcons('credentials')));
